function (doc) {
  // CHT's medic-admin/message_queue, keys only (the admin UI's values are not needed here):
  // ['due'|'scheduled'|'muted', due ms], plus ['delivered', due] for sent or delivered and
  // ['failed', due] for failed. CHT's #9002 lumps sent with delivered; we keep its keys for
  // compatibility and also emit ['sent', due] and ['delivered-only', due] so monitoring can
  // count them apart.
  var tasks = (doc.tasks || []).concat(doc.scheduled_tasks || []);
  for (var i = 0; i < tasks.length; i++) {
    var task = tasks[i];
    var due = task.due || task.timestamp || doc.reported_date;
    if (typeof due === 'string') { due = Date.parse(due); }
    var state = task.state;
    var group = 'due';
    if (state === 'scheduled') { group = 'scheduled'; }
    else if (state === 'muted' || state === 'cleared' || state === 'denied' || state === 'duplicate') { group = 'muted'; }
    var count = (task.messages && task.messages.length) || 1;
    for (var j = 0; j < count; j++) {
      emit([group, due]);
      if (state === 'sent' || state === 'delivered') { emit(['delivered', due]); }
      if (state === 'sent') { emit(['sent', due]); }
      if (state === 'delivered') { emit(['delivered-only', due]); }
      if (state === 'failed') { emit(['failed', due]); }
    }
  }
}
