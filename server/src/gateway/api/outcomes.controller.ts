import { Controller, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { filter, interval, map, merge, type Observable } from 'rxjs';
import { RequirePermission } from '../../auth/permissions';
import { OutcomeStream } from '../services/outcome-stream';
import { OutcomeStreamQueryDto } from './dto/query.dto';

const HEARTBEAT_MS = 15_000;

@ApiTags('writebacks')
@ApiBearerAuth()
@Controller('outcomes')
export class OutcomesController {
  constructor(private readonly stream: OutcomeStream) {}

  /** Server-sent events: `event:` is the message type, `data:` an `OutcomeStreamMessage`. */
  @Sse('stream')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Outcomes, control and target changes as server-sent events' })
  outcomes(@Query() query: OutcomeStreamQueryDto): Observable<MessageEvent> {
    const messages = this.stream.messages().pipe(
      filter((message) => {
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
    return merge(messages, heartbeat);
  }
}
