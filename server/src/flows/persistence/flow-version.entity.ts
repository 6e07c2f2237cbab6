import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One immutable flow version. Only the decision fields (status, decided_by/at, signature) ever change, once. */
@Entity('flow_versions')
export class FlowVersionEntity {
  @PrimaryColumn({ type: 'integer' }) version: number;
  @Column({ type: 'varchar', length: 64 }) checksum: string;
  /** The flows as Node-RED takes them (JSON array), credentials included as the editor sent them. */
  @Column({ type: 'text' }) content: string;
  @Column({ type: 'varchar', length: 200 }) author: string;
  @Column({ name: 'created_at', type: 'varchar', length: 30 }) createdAt: string;
  @Column({ type: 'varchar', length: 24 }) status: string;
  @Column({ type: 'varchar', length: 16 }) source: string;
  @Column({ name: 'node_count', type: 'integer' }) nodeCount: number;
  @Column({ name: 'diff_json', type: 'text' }) diffJson: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) comment: string | null;
  @Column({ name: 'rollback_of', type: 'integer', nullable: true }) rollbackOf: number | null;
  @Column({ name: 'decided_by', type: 'varchar', length: 200, nullable: true }) decidedBy: string | null;
  @Column({ name: 'decided_at', type: 'varchar', length: 30, nullable: true }) decidedAt: string | null;
  @Column({ name: 'signature_json', type: 'text', nullable: true }) signatureJson: string | null;
}
