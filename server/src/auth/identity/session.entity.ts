import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A signed-in session. Only the SHA-256 of the opaque token is stored. */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Index('idx_sessions_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** How the user signed in: `password` or `oidc`. */
  @Column({ type: 'varchar', length: 16 })
  method: string;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 30 })
  expiresAt: string;

  @Column({ name: 'revoked_at', type: 'varchar', length: 30, nullable: true })
  revokedAt: string | null;
}
