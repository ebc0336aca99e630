function (doc) {
  // CHT's medic-sms/messages_by_uuid: every task message's uuid.
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var messages = tasks[i].messages || [];
    for (var j = 0; j < messages.length; j++) {
      if (messages[j] && messages[j].uuid) { emit(messages[j].uuid); }
    }
  }
}
