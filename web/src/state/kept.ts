// The device's copy of what was last loaded (state/offline.svelte.ts decides
// what goes in and whose it is): one IndexedDB object store, key → {at, value}.
//
// IndexedDB in the page rather than the service worker's Cache API: copies
// are keyed by who is signed in, which only the page knows (the session
// cookie is httpOnly, and is never stored); the app must know that what it
// shows is a copy and how old, which a worker answering in the network's
// place would hide; and it works where no worker runs (vite dev, a first
// visit). https://developer.mozilla.org/docs/Web/API/IndexedDB_API
const DB = 'aidmap';
const STORE = 'kept';

export interface Kept<T = unknown> {
  /** When it was loaded (ms since the epoch). */
  at: number;
  value: T;
}

export class KeptStore {
  private db: Promise<IDBDatabase | null> | null = null;

  get<T>(key: string): Promise<Kept<T> | undefined> {
    return this.run('readonly', (store) => store.get(key) as IDBRequest<Kept<T> | undefined>);
  }

  async put(key: string, kept: Kept): Promise<void> {
    await this.run('readwrite', (store) => store.put(kept, key));
  }

  /** Changes a copy in place, if there is one (read and written in one transaction: two changes never lose one). */
  async update<T>(key: string, change: (kept: Kept<T>) => Kept<T>): Promise<void> {
    await this.run('readwrite', (store) => {
      const read = store.get(key);
      read.onsuccess = () => {
        if (read.result !== undefined) {
          store.put(change(read.result as Kept<T>), key);
        }
      };
      return read;
    });
  }

  async clear(): Promise<void> {
    await this.run('readwrite', (store) => store.clear());
  }

  /** Drops the copies loaded before `at` (so a phone that never signs out does not keep every post it ever opened). */
  async prune(at: number): Promise<void> {
    await this.run('readwrite', (store) => {
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (c) {
          if ((c.value as Kept).at < at) {
            c.delete();
          }
          c.continue();
        }
      };
      return cursor;
    });
  }

  private open(): Promise<IDBDatabase | null> {
    this.db ??= new Promise((resolve) => {
      if (typeof indexedDB === 'undefined') {
        resolve(null);
        return;
      }
      let request: IDBOpenDBRequest;
      try {
        request = indexedDB.open(DB, 1);
      } catch {
        resolve(null); // refused outright (site data blocked): SecurityError
        return;
      }
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      // No storage (refused, or full): the app works as before, only without copies.
      request.onerror = () => resolve(null);
    });
    return this.db;
  }

  /**
   * One request in its own transaction; undefined when storage fails. Two
   * transactions on the store run in the order they were made, so a `clear`
   * is never overtaken by a `put` asked for before it.
   */
  private async run<T>(mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
    const db = await this.open();
    if (!db) {
      return undefined;
    }
    return new Promise((resolve) => {
      try {
        const tx = db.transaction(STORE, mode);
        const r = request(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(r.result);
        tx.onerror = () => resolve(undefined);
        tx.onabort = () => resolve(undefined);
      } catch {
        resolve(undefined);
      }
    });
  }
}
