function (doc) {
  // Ours, for /api/v2/monitoring sms.cost and the cost metric. A provider reports a per-recipient
  // cost such as "KES 0.8000" and the parts billed; the outbox keeps them on the task as `cost`
  // and `message_parts`. Key [currency, day] -> [amount in 1/10000 units,
  // 1 message, parts]: integers, so `_sum` is exact (0.8 + 0.8 + 0.8 is not 2.4 in floats).
  // Day = the first send-result state's day (UTC), when the cost was incurred.
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var task = tasks[i];
    if (typeof task.cost !== 'string') { continue; }
    var m = /^\s*([A-Za-z]{3})\s+(-?[0-9]+(?:\.[0-9]+)?)\s*$/.exec(task.cost);
    if (!m) { continue; }
    var history = task.state_history || [];
    var at = null;
    for (var h = 0; h < history.length && !at; h++) {
      var s = history[h].state;
      if (s === 'received-by-gateway' || s === 'forwarded-by-gateway' || s === 'sent' || s === 'delivered') {
        at = history[h].timestamp;
      }
    }
    if (!at && history.length) { at = history[history.length - 1].timestamp; }
    var day = at ? String(at).slice(0, 10) : new Date(doc.reported_date).toISOString().slice(0, 10);
    var parts = typeof task.message_parts === 'number' ? task.message_parts : 1;
    emit([m[1].toUpperCase(), day], [Math.round(parseFloat(m[2]) * 10000), 1, parts]);
  }
}
