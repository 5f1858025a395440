import type { EventLoopUtilization } from 'node:perf_hooks'
import type { TelemetryDecoder } from '../engine/mqtt/TelemetryDecoder.js'
import { threadCpuMs } from '../engine/mqtt/threadCpuMs.js'

/** One thread's figures over the measured phase. */
export interface LoopFigures {
  /** Share of wall time its event loop was busy (waiting for a core included). */
  utilization: number
  busyUsPerPosition: number
  /** CPU time per position, µs; null where threads' CPU time is unknown. */
  cpuUsPerPosition: number | null
}

/** The engine's loop and its decoder thread at the start of the measured phase. */
export interface LoopMark {
  at: number
  main: EventLoopUtilization
  mainCpu: number | undefined
  decoder: EventLoopUtilization | undefined
  decoderCpu: number | undefined
}

/** Busy share, busy µs and CPU µs per applied position of the engine's loop (and its decoder's) since `from`. */
export function engineLoop(
  from: LoopMark,
  accepted: number,
  decoder: TelemetryDecoder | undefined,
): LoopFigures & { decoder: LoopFigures | null } {
  const n = Math.max(1, accepted - from.at)
  const perPosition = (ms: number): number => Math.round((ms * 1000 * 100) / n) / 100
  const figures = (u: EventLoopUtilization, cpuFrom: number | undefined, cpuNow: number | undefined): LoopFigures => ({
    utilization: Math.round(u.utilization * 1000) / 1000,
    busyUsPerPosition: perPosition(u.active),
    cpuUsPerPosition: cpuFrom !== undefined && cpuNow !== undefined ? perPosition(cpuNow - cpuFrom) : null,
  })
  return {
    ...figures(performance.eventLoopUtilization(from.main), from.mainCpu, threadCpuMs()),
    decoder: decoder && from.decoder ? figures(decoder.utilization(from.decoder), from.decoderCpu, decoder.cpuMs()) : null,
  }
}

/** Marks the start of the measured phase: positions applied so far, and the engine's loop and decoder thread now. */
export function markEngineLoop(accepted: number, decoder: TelemetryDecoder | undefined): LoopMark {
  return {
    at: accepted,
    main: performance.eventLoopUtilization(),
    mainCpu: threadCpuMs(),
    decoder: decoder?.utilization(),
    decoderCpu: decoder?.cpuMs(),
  }
}
