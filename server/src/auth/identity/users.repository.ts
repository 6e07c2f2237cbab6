import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserEntity } from './user.entity';

/** The only place that reads and writes the `users` table. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ username });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByExternalSubject(externalSubject: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ externalSubject });
  }

  list(): Promise<UserEntity[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }

  async insert(user: UserEntity): Promise<void> {
    await this.users.insert(user);
  }

  async update(id: string, changes: Partial<Omit<UserEntity, 'id'>>): Promise<void> {
    await this.users.update({ id }, changes);
  }

  /** Counts a failed password check atomically, so parallel guesses cannot slip past the threshold. */
  async incrementFailedLogins(id: string, updatedAt: string): Promise<number> {
    await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({ failedLogins: () => 'failed_logins + 1', updatedAt })
      .where('id = :id', { id })
      .execute();
    const user = await this.users.findOneByOrFail({ id });
    return user.failedLogins;
  }
}
