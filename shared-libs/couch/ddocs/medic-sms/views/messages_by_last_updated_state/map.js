function (doc) {
  // CHT's medic-sms/messages_by_last_updated_state: [group, last updated ms, state] per task,
  // read by /api/v2/monitoring's last_hundred.
  var groupOf = function (state) {
    if (state === 'scheduled') { return 'scheduled'; }
    if (state === 'sent' || state === 'delivered' || state === 'failed') { return 'final'; }
    if (state === 'muted' || state === 'cleared' || state === 'denied' || state === 'duplicate') { return 'muted'; }
    return 'pending';
  };
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var task = tasks[i];
    var history = task.state_history || [];
    var last = history.length && history[history.length - 1].timestamp;
    var updated = last || task.timestamp || doc.reported_date;
    if (typeof updated === 'string') { updated = Date.parse(updated); }
    emit([groupOf(task.state), updated, task.state]);
  }
}
