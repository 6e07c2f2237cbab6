import { Global, Module } from '@nestjs/common';

/** The one clock (epoch ms) every decision reads; tests inject their own. */
export interface Clock {
  now(): number;
}
export const CLOCK = Symbol('CLOCK');

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** Provides `CLOCK` (the system clock) to every module; a test overrides the provider. */
@Global()
@Module({ providers: [{ provide: CLOCK, useValue: SYSTEM_CLOCK }], exports: [CLOCK] })
export class ClockModule {}
