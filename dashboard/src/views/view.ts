import type { Scope } from "../signal";

/** A page of the dashboard: its element, its title, and what to clean up when it goes. */
export type View = { el: HTMLElement; title: string; scope: Scope };
