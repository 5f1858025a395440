import { Type, type TProperties } from '@sinclair/typebox'
import { SUMMARY_FIGURES } from '../report/summaryFigures.js'
import { THRESHOLD_PATTERN } from './scenarioPatterns.js'
import { X_PARSER } from './schemaNodes.js'

const expectProperties = Object.fromEntries(
  Object.entries(SUMMARY_FIGURES).map(([figure, meaning]) => [
    figure,
    Type.Optional(
      Type.Union([Type.Number(), Type.String({ pattern: THRESHOLD_PATTERN })], {
        description: `Threshold on ${meaning}: "<op> <number>" with op one of >=, <=, >, <, ==; a bare number means ==.`,
        [X_PARSER]: 'threshold',
      }),
    ),
  ]),
) as TProperties

/** The scenario's `expect:` section: a threshold on any summary figure. */
export const expectSchema = Type.Object(expectProperties, {
  additionalProperties: false,
  description: 'Thresholds on summary figures; `dronefleet run` exits 1 when one fails.',
})
