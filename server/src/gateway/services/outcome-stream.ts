import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { OutcomeStreamMessage, TargetStatus } from '@loopgate/contracts';
import { Subject, type Observable } from 'rxjs';
import { toOutcome, type Command } from '../domain/command';
import type { EngineObserver } from '../engine/ports';

/** Fans the engine's state changes out to `GET /outcomes/stream` subscribers. */
@Injectable()
export class OutcomeStream implements OnApplicationShutdown {
  private readonly subject = new Subject<OutcomeStreamMessage>();
  private statusOf: (instance: string) => TargetStatus | undefined = () => undefined;

  messages(): Observable<OutcomeStreamMessage> {
    return this.subject.asObservable();
  }

  publish(message: OutcomeStreamMessage): void {
    this.subject.next(message);
  }

  /** How a target's status is built, for `target` messages; set by the targets service. */
  bindTargetStatus(statusOf: (instance: string) => TargetStatus | undefined): void {
    this.statusOf = statusOf;
  }

  observer(): EngineObserver {
    return {
      outcome: (command: Command) => this.publish({ type: 'outcome', outcome: toOutcome(command) }),
      control: (control) => this.publish({ type: 'control', control }),
      target: (instance) => {
        const target = this.statusOf(instance);
        if (target) this.publish({ type: 'target', target });
      },
    };
  }

  onApplicationShutdown(): void {
    this.subject.complete();
  }
}
