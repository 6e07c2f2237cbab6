import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '@loopgate/contracts';

/** A person who signs in: a local password, an OpenID Connect subject, or both. */
@Entity('users')
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  username: string;

  @Column({ name: 'display_name', type: 'varchar', length: 128 })
  displayName: string;

  /** Argon2id PHC string; null for a user who only signs in through OpenID Connect. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null;

  @Column({ type: 'simple-json' })
  roles: Role[];

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** Consecutive failed password checks (logins and signatures); reset by a correct password. */
  @Column({ name: 'failed_logins', type: 'integer', default: 0 })
  failedLogins: number;

  /** ISO 8601; password checks are refused until then. */
  @Column({ name: 'locked_until', type: 'varchar', length: 30, nullable: true })
  lockedUntil: string | null;

  /** `<issuer> <subject>` of the OpenID Connect identity linked to this user. */
  @Column({ name: 'external_subject', type: 'varchar', length: 512, nullable: true, unique: true })
  externalSubject: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 30 })
  updatedAt: string;
}
