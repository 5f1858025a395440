import t from 'tap'
import { DIMENSION_NAMES, DIMENSIONS, parseQuantity, quantityPattern, UnitError, type Dimension } from '../protocol/units.js'

const cases: Array<[Dimension, unknown, number]> = [
  ['time', 90, 90],
  ['time', '250 ms', 0.25],
  ['time', '30 s', 30],
  ['time', '30 min', 1800],
  ['time', '1.5h', 5400],
  ['length', '60 m', 60],
  ['length', '3 km', 3000],
  ['length', '.5km', 500],
  ['speed', '15 m/s', 15],
  ['speed', '54 km/h', 15],
  ['speed', '10 kn', (10 * 1852) / 3600],
  ['energy', '500 Wh', 500],
  ['energy', '1.2 kWh', 1200],
  ['power', '900 W', 900],
  ['power', '1.5 kW', 1500],
  ['mass', '200 g', 0.2],
  ['mass', '2.5 kg', 2.5],
  ['rate', '150 /h', 150],
  ['rate', '150/h', 150],
  ['rate', '2 /min', 120],
  ['rate', '0.5 /s', 1800],
  ['rate', '150 per hour', 150],
  ['rate', 150, 150],
  ['energyPerDistance', '17 Wh/km', 17],
  ['energyPerMassDistance', '10 Wh/kg/km', 10],
  ['fraction', 0.2, 0.2],
  ['fraction', '20%', 0.2],
  ['fraction', '0.35', 0.35],
  ['time', '1e3 ms', 1],
  ['time', ' 30   s ', 30],
]
for (const [dim, value, expected] of cases) {
  t.test(`${JSON.stringify(value)} as ${dim} is ${expected}`, async (t) => {
    t.ok(Math.abs(parseQuantity(value, dim) - expected) < 1e-9)
  })
}

t.test('every dimension has units, and each parses and matches the schema pattern', async (t) => {
  for (const dim of DIMENSION_NAMES) {
    const pattern = new RegExp(quantityPattern(dim))
    for (const [unit, factor] of Object.entries(DIMENSIONS[dim].units)) {
      t.equal(parseQuantity(`2 ${unit}`, dim), 2 * factor, `2 ${unit}`)
      t.match(`2 ${unit}`, pattern, `pattern accepts "2 ${unit}"`)
      t.match(`2${unit}`, pattern, `pattern accepts "2${unit}"`)
    }
    t.notMatch('2 bogus', pattern, `pattern rejects a bogus ${dim} unit`)
    t.notMatch('-2', pattern, `pattern rejects a negative ${dim}`)
  }
})

const bad: Array<[string, unknown, Dimension, RegExp]> = [
  ['a mistyped unit', '15 m/ss', 'speed', /^unknown unit "m\/ss" for a speed; use m\/s, km\/h, kn/],
  ['a unit of another dimension', '3 km', 'time', /unknown unit "km" for a time; use ms, s, min, h \("km" is a length unit\)/],
  ['a unit in the wrong case', '500 wh', 'energy', /did you mean "Wh"\? units are case-sensitive/],
  ['a unit with an extra letter', '30 mins', 'time', /did you mean "min"\?/],
  ['a missing number', 'km/h', 'speed', /^missing number in "km\/h"; write a speed like "15 m\/s"/],
  ['an empty string', '', 'length', /^missing number/],
  ['a boolean', true, 'mass', /^must be a mass: a number or a string like "2 kg", got true/],
  ['a list', [1, 2], 'length', /got a list/],
  ['nothing', null, 'time', /got nothing/],
  ['infinity', Infinity, 'time', /must be a finite number/],
  ['a percentage that is not a fraction unit', '20 pct', 'fraction', /unknown unit "pct" for a fraction; use a plain number or %/],
]
for (const [name, value, dim, message] of bad) {
  t.test(`rejects ${name}`, async (t) => {
    const err = t.throws(() => parseQuantity(value, dim)) as UnitError
    t.type(err, UnitError)
    t.match(err.message, message)
    t.same(err.value, value)
  })
}

t.test("signs pass through: ranges are the caller's business", async (t) => {
  t.equal(parseQuantity('-150 /h', 'rate'), -150)
  t.equal(parseQuantity(-3, 'length'), -3)
})
