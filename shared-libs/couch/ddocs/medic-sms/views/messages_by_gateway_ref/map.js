function (doc) {
  // CHT's medic-sms/messages_by_gateway_ref: outgoing task gateway_ref -> message uuid, and
  // incoming sms_message.gateway_ref (one key space for DLR lookup and incoming dedupe).
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    if (tasks[i].gateway_ref) {
      var messages = tasks[i].messages || [];
      for (var j = 0; j < messages.length; j++) {
        emit(tasks[i].gateway_ref, messages[j].uuid);
      }
    }
  }
  if (doc.type === 'data_record' && doc.sms_message && doc.sms_message.gateway_ref) {
    emit(doc.sms_message.gateway_ref, doc.sms_message.uuid || null);
  }
}
