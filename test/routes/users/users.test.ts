import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addUser, bearer, call, errorOf, login, registerTenant, send } from "../../helpers";

const USERS = "/api/v1/auth/users";
const newUser = (role: string, extra: Record<string, unknown> = {}) => ({
	email: `u-${Math.random().toString(36).slice(2, 8)}@example.com`,
	password: "a good long secret",
	role,
	...extra,
});

describe("users and roles", () => {
	it("an admin adds, lists, changes and deactivates viewers and admins", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		const created = await send("POST", USERS, admin.access_token, newUser("viewer", { full_name: "Vi" }));
		expect(created.status).toBe(201);
		const user = await created.json<{ id: string; email: string }>();
		expect(user).toMatchObject({ role: "viewer", full_name: "Vi", is_active: true, tenant_id: t.tenant.id });
		expect(JSON.stringify(user)).not.toMatch(/hash|password/i);

		const list = await (await send("GET", USERS, admin.access_token)).json<{ users: { id: string }[] }>();
		expect(list.users.map((u) => u.id)).toEqual([t.user.id, admin.id, user.id]);

		const promoted = await send("PATCH", `${USERS}/${user.id}`, admin.access_token, { role: "admin" });
		expect(promoted.status).toBe(200);
		expect(await promoted.json()).toMatchObject({ id: user.id, role: "admin" });

		expect((await send("DELETE", `${USERS}/${user.id}`, admin.access_token)).status).toBe(204);
		const after = await (await send("GET", USERS, admin.access_token)).json<{ users: { id: string; is_active: boolean }[] }>();
		expect(after.users.find((u) => u.id === user.id)).toMatchObject({ is_active: false });
		// Deleting deactivates: the row stays for the audit trail; it can be reactivated.
		const back = await send("PATCH", `${USERS}/${user.id}`, admin.access_token, { is_active: true });
		expect(await back.json()).toMatchObject({ is_active: true });
	});

	it("a role change applies to the very next request of that user", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		expect((await send("GET", USERS, admin.access_token)).status).toBe(200);
		await send("PATCH", `${USERS}/${admin.id}`, t.access_token, { role: "viewer" });
		expect((await send("GET", USERS, admin.access_token)).status).toBe(403);
	});

	it("deactivating a user ends their sessions at once", async () => {
		const t = await registerTenant();
		const viewer = await addUser(t, "viewer");
		expect((await call("/api/v1/auth/profile", { headers: bearer(viewer.access_token) })).status).toBe(200);
		await send("PATCH", `${USERS}/${viewer.id}`, t.access_token, { is_active: false });
		const res = await call("/api/v1/auth/profile", { headers: bearer(viewer.access_token) });
		expect(res.status).toBe(401);
		expect((await login(t, viewer.email)).status).toBe(401);
	});

	it("admins cannot create, change, promote to or remove owners; owners can", async () => {
		const t = await registerTenant();
		const admin = await addUser(t, "admin");
		const viewer = await addUser(t, "viewer");
		for (const res of [
			await send("POST", USERS, admin.access_token, newUser("owner")),
			await send("PATCH", `${USERS}/${t.user.id}`, admin.access_token, { full_name: "x" }),
			await send("PATCH", `${USERS}/${t.user.id}`, admin.access_token, { role: "admin" }),
			await send("PATCH", `${USERS}/${viewer.id}`, admin.access_token, { role: "owner" }),
			await send("PATCH", `${USERS}/${admin.id}`, admin.access_token, { role: "owner" }),
			await send("DELETE", `${USERS}/${t.user.id}`, admin.access_token),
		]) {
			expect(res.status).toBe(403);
			expect((await errorOf(res)).code).toBe("FORBIDDEN");
		}
		const second = await send("POST", USERS, t.access_token, newUser("owner"));
		expect(second.status).toBe(201);
		expect((await send("PATCH", `${USERS}/${viewer.id}`, t.access_token, { role: "owner" })).status).toBe(200);
	});

	it("the last active owner cannot be demoted or removed (409); with a second owner it can", async () => {
		const t = await registerTenant();
		for (const res of [
			await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, { role: "admin" }),
			await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, { is_active: false }),
			await send("DELETE", `${USERS}/${t.user.id}`, t.access_token),
		]) {
			expect(res.status).toBe(409);
			expect((await errorOf(res)).code).toBe("CONFLICT");
		}
		const other = await addUser(t, "owner");
		// An inactive owner does not count as the remaining one.
		await send("PATCH", `${USERS}/${other.id}`, t.access_token, { is_active: false });
		expect((await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, { role: "admin" })).status).toBe(409);
		await send("PATCH", `${USERS}/${other.id}`, t.access_token, { is_active: true });
		expect((await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, { role: "admin" })).status).toBe(200);
		// Deactivation ended the other owner's sessions; signed in again, they are now the last owner.
		expect((await send("GET", USERS, other.access_token)).status).toBe(401);
		const again = await (await login(t, other.email)).json<{ access_token: string }>();
		expect((await send("DELETE", `${USERS}/${other.id}`, again.access_token)).status).toBe(409);
	});

	it("two owners demoting each other at once leave one owner", async () => {
		const t = await registerTenant();
		const other = await addUser(t, "owner");
		const [a, b] = await Promise.all([
			send("PATCH", `${USERS}/${other.id}`, t.access_token, { role: "admin" }),
			send("PATCH", `${USERS}/${t.user.id}`, other.access_token, { role: "admin" }),
		]);
		// One wins; the other is refused, as the last owner (409) or, when the
		// winner already demoted its actor, as an admin touching an owner (403).
		const statuses = [a.status, b.status].sort();
		expect(statuses[0]).toBe(200);
		expect([403, 409]).toContain(statuses[1]);
		const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND role = 'owner' AND is_active = 1")
			.bind(t.tenant.id)
			.first<{ n: number }>())!;
		expect(n).toBe(1);
	});

	it("refuses a taken email (409), unknown roles, malformed emails, weak passwords (422)", async () => {
		const t = await registerTenant();
		const taken = await send("POST", USERS, t.access_token, newUser("viewer", { email: t.user.email.toUpperCase() }));
		expect(taken.status).toBe(409);
		const cases: [Record<string, unknown>, string][] = [
			[newUser("superuser"), "role"],
			[newUser("viewer", { email: "not an email" }), "email"],
			[newUser("viewer", { password: "1234567" }), "password"],
			[newUser("viewer", { password: "zzzzzzzzzz" }), "password"],
			[newUser("viewer", { password: "y".repeat(10_000) }), "password"],
		];
		for (const [body, path] of cases) {
			const res = await send("POST", USERS, t.access_token, body);
			expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
			expect((await errorOf(res)).details!.map((d) => d.path)).toEqual([path]);
		}
		const bad = await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, { role: "root" });
		expect(bad.status).toBe(422);
		expect((await send("PATCH", `${USERS}/${t.user.id}`, t.access_token, "{")).status).toBe(400);
		expect((await send("PATCH", `${USERS}/no-such-user`, t.access_token, { role: "viewer" })).status).toBe(404);
	});
});
