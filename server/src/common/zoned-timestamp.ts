import { isISO8601, ValidateBy, type ValidationOptions } from 'class-validator';

/** An ISO 8601 date-time that ends in `Z` or an offset such as `+01:00`. */
const ZONED = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function isZonedTimestamp(value: unknown): boolean {
  return typeof value === 'string' && isISO8601(value, { strict: true }) && ZONED.test(value);
}

/**
 * A point in time the gateway can judge the same on every server: an ISO 8601 date-time with its
 * zone. `2026-11-22T10:00:30` alone would be read in whatever zone the server runs in, so it is
 * refused (`IS_ZONED_TIMESTAMP`) instead of guessed.
 */
export function IsZonedTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isZonedTimestamp',
      validator: {
        validate: (value) => isZonedTimestamp(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'the value'} must be an ISO 8601 date-time with a zone (Z or ±hh:mm), e.g. 2026-11-22T10:00:30Z`,
      },
    },
    options,
  );
}
