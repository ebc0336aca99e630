function (doc) {
  // Ours, for the `sms_messages` metric: one row per outgoing message keyed by its task's
  // exact state (message_queue only has CHT's coarse groups). Message-less scheduled tasks
  // count once, as in message_queue.
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var count = (tasks[i].messages && tasks[i].messages.length) || 1;
    for (var j = 0; j < count; j++) { emit(tasks[i].state || 'received'); }
  }
}
