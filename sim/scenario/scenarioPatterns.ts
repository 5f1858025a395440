/** The string patterns of the scenario format: times, thresholds, ids, directions, drone selections. */
import { REGION_ID } from '../../protocol/topics.js'

export const ISO_TIME_PATTERN = String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`
export const THRESHOLD_PATTERN = String.raw`^\s*(>=|<=|==|>|<)?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$`
export const ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$'
/** A region id is a topic level and a lease's name: protocol/topics.ts says what it may be. */
export const REGION_ID_PATTERN = REGION_ID.source
export const COMPASS_POINTS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'] as const
export const DIRECTION_PATTERN = String.raw`^\s*((\d+(\.\d*)?|\.\d+)\s*(deg|°)?|N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW)\s*$`
export const SELECTION_PATTERN = String.raw`^\s*(\d+(\.\d*)?|\.\d+)\s*%\s*$`
