import { Signal } from "./signal";

/**
 * Dark or light: the system's choice until the person picks one (kept in
 * localStorage: a preference, not a secret). The stylesheet reads
 * `data-theme` on <html>; the charts rebuild on `theme` changes.
 */
export type Theme = "dark" | "light";
const KEY = "pulsestream.theme";
const media = window.matchMedia("(prefers-color-scheme: light)");

function chosen(): Theme | null {
	const v = localStorage.getItem(KEY);
	return v === "dark" || v === "light" ? v : null;
}

const effective = (): Theme => chosen() ?? (media.matches ? "light" : "dark");

export const theme = new Signal<Theme>(effective());

function apply(): void {
	const t = effective();
	document.documentElement.dataset.theme = t;
	if (theme.get() !== t) theme.set(t);
}

export function toggleTheme(): void {
	localStorage.setItem(KEY, effective() === "dark" ? "light" : "dark");
	apply();
}

media.addEventListener("change", apply);
apply();
