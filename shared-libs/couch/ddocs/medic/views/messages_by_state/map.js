function (doc) {
  // CHT's medic/messages_by_state (ddocs/medic-db/medic/views/messages_by_state):
  // key [state, due ms] -> {content, to, id}; pending and forwarded-to-gateway also under
  // 'pending-or-forwarded', the key the outgoing queue and sentinel's due_tasks read.
  var emitTasks = function (tasks) {
    if (!tasks) { return; }
    for (var i = 0; i < tasks.length; i++) {
      var task = tasks[i];
      var due = task.due || task.timestamp || doc.reported_date;
      if (typeof due === 'string') { due = Date.parse(due); }
      if (!task.messages) { emit([task.state, due], {}); continue; }
      for (var j = 0; j < task.messages.length; j++) {
        var msg = task.messages[j];
        if (msg && msg.uuid && msg.to && msg.message) {
          var value = { content: msg.message, to: msg.to, id: msg.uuid };
          emit([task.state, due], value);
          if (task.state === 'pending' || task.state === 'forwarded-to-gateway') {
            emit(['pending-or-forwarded', due], value);
          }
        }
      }
    }
  };
  emitTasks(doc.tasks);
  emitTasks(doc.scheduled_tasks);
}
