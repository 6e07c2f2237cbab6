import { RequestMethod, ValidationPipe, type INestApplication } from '@nestjs/common';
import express from 'express';
import { API_PREFIX } from '@loopgate/contracts';
import { inputHardening } from '../auth/hardening/http-security';
import { buildApiDocument } from '../openapi/document';
import { ResponseContract, responseContractCheck } from '../openapi/response-contract';
import { ApiExceptionFilter, validationException } from './http-errors';
import { cacheValidationRules } from './validation-rules-cache';

/**
 * How the REST API handles every request, the same in the gateway and in API tests: body size
 * limits, input hardening, the `/api/v1` prefix, validation with stable codes, one error shape.
 */
export function configureApi(app: INestApplication): void {
  if (process.env.LOOPGATE_CHECK_RESPONSES === '1') {
    // Development and tests: every answer is checked against the document, built once the routes are known.
    let contract: ResponseContract | undefined;
    app.use(responseContractCheck(() => (contract ??= new ResponseContract(buildApiDocument(app)))));
  }
  // Sizes are limited before anything parses a body.
  app.use(API_PREFIX, express.json({ limit: '256kb', strict: true }));
  app.use(API_PREFIX, express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(API_PREFIX, inputHardening());
  app.setGlobalPrefix(API_PREFIX.slice(1), {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  cacheValidationRules();
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      exceptionFactory: validationException,
    }),
  );
  app.useGlobalFilters(new ApiExceptionFilter());
}
