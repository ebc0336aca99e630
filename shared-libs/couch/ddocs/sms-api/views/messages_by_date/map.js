function (doc) {
  // Ours, for GET /api/v1/messages: newest-first listing by direction, optionally by state.
  // Keys: ['outgoing', reported_date], ['outgoing-by-state', state, reported_date], ['incoming', reported_date].
  if (doc.type !== 'data_record') { return; }
  if (doc.sms_message && doc.sms_message.gateway_ref) {
    emit(['incoming', doc.reported_date], null);
  }
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var messages = tasks[i].messages || [];
    for (var j = 0; j < messages.length; j++) {
      if (messages[j] && messages[j].uuid) {
        emit(['outgoing', doc.reported_date], messages[j].uuid);
        emit(['outgoing-by-state', tasks[i].state, doc.reported_date], messages[j].uuid);
      }
    }
  }
}
