import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { AuditPage, AuditVerification } from '@loopgate/contracts';
import type { Response } from 'express';
import { RequirePermission } from '../../auth/permissions';
import { AuditService } from '../services/audit.service';
import { AuditExportQueryDto, AuditQueryDto } from './dto/query.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Audit records, newest first; filter by time, target, object, outcome, inference id' })
  page(@Query() query: AuditQueryDto): Promise<AuditPage> {
    const { limit, before, ...filter } = query;
    return this.audit.page(filter, limit ?? 100, before);
  }

  @Get('verify')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Recompute the hash chain and name the first broken record' })
  verify(): Promise<AuditVerification> {
    return this.audit.verify();
  }

  @Get('export')
  @RequirePermission('audit:read')
  @ApiProduces('text/csv', 'application/x-ndjson')
  @ApiOperation({ summary: 'Stream matching records, oldest first, as CSV or NDJSON' })
  async export(@Query() query: AuditExportQueryDto, @Res() res: Response): Promise<void> {
    const { format = 'csv', limit: _limit, before: _before, ...filter } = query;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="loopgate-audit-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    );
    res.setHeader('Cache-Control', 'no-store');
    try {
      await this.audit.export(res, format, filter);
      res.end();
    } catch (error) {
      // Headers are out: the only honest signal left is a broken response.
      res.destroy(error as Error);
    }
  }
}
