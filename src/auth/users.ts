import { and, eq } from "drizzle-orm";
import { db } from "../db/client";
import { type UserRow, users } from "../db/schema";
import { ApiError } from "../lib/errors";

/** A user of `tenantId`; any other id, another tenant's included, is 404. */
export async function findUser(env: Env, tenantId: string, id: string): Promise<UserRow> {
	const row = await db(env)
		.select()
		.from(users)
		.where(and(eq(users.id, id), eq(users.tenantId, tenantId)))
		.get();
	if (!row) throw new ApiError({ code: "NOT_FOUND", message: "No user with that id." });
	return row;
}
