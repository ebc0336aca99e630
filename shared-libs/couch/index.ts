export * from './db.js';
export * from './ddocs.js';
export { projectRoot } from './project-root.js';
export { follow, type Follower } from './follow.js';
