import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeploymentItem } from './deployment.types';

/** Who deployed which flow and rule set versions, with which checksums, to which runtime. */
@Entity('deployments')
export class DeploymentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'deployed_by', type: 'varchar', length: 128 })
  deployedBy: string;

  @Column({ name: 'deployed_at', type: 'varchar', length: 30 })
  deployedAt: string;

  @Column({ name: 'node_red_url', type: 'varchar', length: 512, nullable: true })
  nodeRedUrl: string | null;

  @Column({ name: 'revision_before', type: 'varchar', length: 128, nullable: true })
  revisionBefore: string | null;

  @Column({ name: 'revision_after', type: 'varchar', length: 128, nullable: true })
  revisionAfter: string | null;

  @Column({ type: 'simple-json' })
  items: DeploymentItem[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  comment: string | null;
}
