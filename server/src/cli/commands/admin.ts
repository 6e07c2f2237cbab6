import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ROLES, type Role } from '@loopgate/contracts';
import { CliError, EXIT } from '../cli-error';
import type { GatewayClient } from '../gateway-client';
import type { Output } from '../output';

/** `loopgate audit verify`: exit 1 when the hash chain is broken, naming the first bad record. */
export async function auditVerifyCommand(gateway: GatewayClient, out: Output): Promise<number> {
  out.progress(1, 1, 'verifying the audit chain');
  const result = await gateway.run('verifying the audit trail', gateway.api.GET('/audit/verify'));
  out.result(result, () => {
    const anchored = result.checkpoints
      ? `; ${result.checkpoints.checked} signed checkpoint(s)${
          result.checkpoints.latest ? `, latest at record ${result.checkpoints.latest.sequence}` : ''
        }, ${result.checkpoints.unanchored} record(s) not yet anchored`
      : '';
    if (result.ok) return [`audit chain intact: ${result.checked} record(s) verified${anchored}`];
    const findings = result.findings?.length
      ? result.findings.map(
          (f) =>
            `  ${f.kind.toUpperCase()} record ${f.sequence}${f.toSequence !== undefined ? `..${f.toSequence}` : ''}: ${f.detail}`,
        )
      : [`  record ${result.firstBroken?.sequence} (${result.firstBroken?.reason})`];
    return [`audit chain BROKEN: ${result.checked} record(s) checked${anchored}`, ...findings];
  });
  return result.ok ? EXIT.ok : EXIT.issues;
}

export interface AuditExportOptions {
  format: 'ndjson' | 'csv';
  from?: string;
  to?: string;
  out?: string;
}

/** `loopgate audit export`: streams the gateway's export to a file or stdout. */
export async function auditExportCommand(
  options: AuditExportOptions,
  gateway: GatewayClient,
  out: Output,
): Promise<number> {
  const query = {
    format: options.format,
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
  };
  out.progress(1, 1, `exporting the audit trail as ${options.format}${options.out ? ` to ${options.out}` : ''}`);
  const stream = await gateway.run(
    'exporting the audit trail',
    gateway.api.GET('/audit/export', { params: { query }, parseAs: 'stream' }),
  );
  if (!stream) throw new CliError(EXIT.unavailable, 'EMPTY_RESPONSE', 'the gateway sent no export');
  const body = Readable.fromWeb(stream as import('node:stream/web').ReadableStream);
  await pipeline(body, options.out ? fs.createWriteStream(options.out) : process.stdout);
  return EXIT.ok;
}

export function parseRoles(raw: string[]): Role[] {
  const roles = raw
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length || !roles.length)
    throw new CliError(
      EXIT.usage,
      'INVALID_ROLE',
      `roles must be among ${ROLES.join(', ')}; got ${roles.join(', ') || 'none'}`,
    );
  return roles as Role[];
}

export async function usersAddCommand(
  input: { username: string; displayName?: string; roles: Role[]; password?: string },
  gateway: GatewayClient,
  out: Output,
): Promise<number> {
  const user = await gateway.run(
    `adding user ${input.username}`,
    gateway.api.POST('/users', {
      body: {
        username: input.username,
        roles: input.roles,
        ...(input.displayName ? { displayName: input.displayName } : {}),
        ...(input.password ? { password: input.password } : {}),
      },
    }),
  );
  out.result(user, () => [
    `user ${user.username} added with roles ${user.roles.join(', ')}${user.hasPassword ? '' : ' (no password: sign-in through SSO only)'}`,
  ]);
  return EXIT.ok;
}

export async function usersListCommand(gateway: GatewayClient, out: Output): Promise<number> {
  const { users } = await gateway.run('listing users', gateway.api.GET('/users'));
  out.result(users, () =>
    users.map(
      (u) =>
        `${u.username}\t${u.roles.join(',')}\t${u.disabled ? 'disabled' : u.lockedUntil ? `locked until ${u.lockedUntil}` : 'active'}`,
    ),
  );
  return EXIT.ok;
}

export async function tokensCreateCommand(name: string, gateway: GatewayClient, out: Output): Promise<number> {
  const created = await gateway.run(`creating token ${name}`, gateway.api.POST('/tokens', { body: { name } }));
  out.note(`service token ${created.name} (${created.id}) created; it is shown once, store it now`);
  out.result(created, () => [created.token]);
  return EXIT.ok;
}

export async function tokensListCommand(gateway: GatewayClient, out: Output): Promise<number> {
  const { tokens } = await gateway.run('listing tokens', gateway.api.GET('/tokens'));
  out.result(tokens, () =>
    tokens.map(
      (t) =>
        `${t.id}\t${t.name}\t${t.hint}…\t${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`,
    ),
  );
  return EXIT.ok;
}

export async function tokensRevokeCommand(id: string, gateway: GatewayClient, out: Output): Promise<number> {
  const token = await gateway.run(
    `revoking token ${id}`,
    gateway.api.DELETE('/tokens/{id}', { params: { path: { id } } }),
  );
  out.result(token, () => [`service token ${token.name} revoked`]);
  return EXIT.ok;
}
