import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A Node-RED runtime's credential. Only the SHA-256 of the token is stored. */
@Entity('service_tokens')
export class ServiceTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** The token's first characters, so a person can tell tokens apart without the secret. */
  @Column({ type: 'varchar', length: 16 })
  hint: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt: string;

  @Column({ name: 'last_used_at', type: 'varchar', length: 30, nullable: true })
  lastUsedAt: string | null;

  @Column({ name: 'revoked_at', type: 'varchar', length: 30, nullable: true })
  revokedAt: string | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 64, nullable: true })
  revokedBy: string | null;
}
