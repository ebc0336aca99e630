'use strict';
// pouchdb-server loads its SQLite adapter only with --sqlite, which this project never passes
// (tests/helpers/pouchdb-server.ts); package.json's overrides point websql here.
throw new Error('websql is not installed in this project: pouchdb-server --sqlite is not supported here');
