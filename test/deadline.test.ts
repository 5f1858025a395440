import t from 'tap'
import { deadline } from '../loadgen/deadline.js'
import { DronefleetError } from '../protocol/errors.js'

t.test('a load-test part that never answers ends the wait with DF_LOAD_STALLED, saying how far it got', async (t) => {
  let sent = 0
  const never = new Promise<number>(() => undefined)
  sent = 41
  const err = await deadline(never, 20, () => `the publisher had sent ${sent} positions`).catch((e: unknown) => e)
  t.ok(err instanceof DronefleetError)
  t.equal((err as DronefleetError).code, 'DF_LOAD_STALLED')
  t.equal((err as Error).message, 'the publisher had sent 41 positions after 0 s')
})

t.test('an answer in time passes through, and so does its failure', async (t) => {
  t.equal(await deadline(Promise.resolve(7), 60_000, () => 'x'), 7)
  await t.rejects(
    deadline(Promise.reject(new Error('its own')), 60_000, () => 'x'),
    { message: 'its own' },
  )
})
