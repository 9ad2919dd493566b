/** A value that tells its subscribers when it changes: the page's whole state model. */
export class Signal<T> {
	private listeners = new Set<(value: T) => void>();

	constructor(private value: T) {}

	get(): T {
		return this.value;
	}

	set(value: T): void {
		this.value = value;
		for (const listener of [...this.listeners]) listener(value);
	}

	update(change: (value: T) => T): void {
		this.set(change(this.value));
	}

	/** Calls `listener` now and on every change; returns the unsubscribe. */
	watch(listener: (value: T) => void): () => void {
		this.listeners.add(listener);
		listener(this.value);
		return () => this.listeners.delete(listener);
	}

	/** Calls `listener` on every later change; returns the unsubscribe. */
	subscribe(listener: (value: T) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}
}

/** Collects cleanups (unsubscribes, timers) for a view, run once when it goes. */
export class Scope {
	private cleanups: (() => void)[] = [];

	add(cleanup: () => void): void {
		this.cleanups.push(cleanup);
	}

	interval(fn: () => void, ms: number): void {
		const id = setInterval(fn, ms);
		this.add(() => clearInterval(id));
	}

	dispose(): void {
		for (const cleanup of this.cleanups.splice(0).reverse()) {
			try {
				cleanup();
			} catch (err) {
				console.error(err);
			}
		}
	}
}
