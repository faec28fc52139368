import { EventEmitter } from 'node:events';

// cockatiel's timeout adds one abort listener per call in flight to a signal it creates when
// it loads; at 100 concurrent calls Node prints a one-time "possible leak" warning into the
// report. An EventTarget takes its limit from this default when created, so this module is
// imported before cockatiel.
EventEmitter.defaultMaxListeners = 1_000;
