import { Controller, Inject, Query, Req, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { catchError, exhaustMap, filter, from, interval, map, merge, of, take, takeUntil, type Observable } from 'rxjs';
import { RequirePermission } from '../../auth/permissions';
import { CREDENTIAL_CHECK, type CredentialCheck } from '../../auth/principal';
import { OutcomeStream } from '../services/outcome-stream';
import { OutcomeStreamQueryDto } from './dto/query.dto';

const HEARTBEAT_MS = 15_000;
/** How often an open stream's credential is checked again: a revoked token or a disabled user stops it within this. */
export const REVALIDATE_MS = 500;

@ApiTags('writebacks')
@ApiBearerAuth()
@Controller('outcomes')
export class OutcomesController {
  constructor(
    private readonly stream: OutcomeStream,
    @Inject(CREDENTIAL_CHECK) private readonly credentials: CredentialCheck,
  ) {}

  /** Server-sent events: `event:` is the message type, `data:` an `OutcomeStreamMessage`. */
  @Sse('stream')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Outcomes, control and target changes as server-sent events' })
  outcomes(@Query() query: OutcomeStreamQueryDto, @Req() request: Request): Observable<MessageEvent> {
    const types = query.types ? new Set(query.types.split(',')) : undefined;
    const messages = this.stream.messages().pipe(
      filter((message) => {
        if (types && !types.has(message.type)) return false;
        if (!query.target) return true;
        if (message.type === 'outcome') return message.outcome.target.instance === query.target;
        if (message.type === 'target') return message.target.instance === query.target;
        return true;
      }),
      map((message): MessageEvent => ({ type: message.type, data: message })),
    );
    const heartbeat = interval(HEARTBEAT_MS).pipe(
      map((): MessageEvent => ({ type: 'heartbeat', data: { time: new Date().toISOString() } })),
    );
    // The stream ends once its credential no longer holds (revoked, expired, user disabled); a
    // check that fails for another reason (the database) keeps it open.
    const revoked = interval(REVALIDATE_MS).pipe(
      exhaustMap(() => from(this.credentials.stillValid(request)).pipe(catchError(() => of(true)))),
      filter((valid) => !valid),
      take(1),
    );
    return merge(messages, heartbeat).pipe(takeUntil(revoked));
  }
}
