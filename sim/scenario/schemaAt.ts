import { scenarioSchema } from './scenarioSchema.js'
import { X_PARSER, type Bounds, type ParserKind } from './schemaNodes.js'

/** Where a node is in a scenario document: keys and list indexes. */
export type Path = Array<string | number>

export interface SchemaNode extends Bounds {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode | SchemaNode[]
  anyOf?: SchemaNode[]
  [X_PARSER]?: ParserKind
}

/** The schema node describing `path`, following properties and list items. */
export function schemaAt(path: Path): SchemaNode | undefined {
  let node: SchemaNode | undefined = scenarioSchema as unknown as SchemaNode
  for (const seg of path) {
    if (node === undefined || node[X_PARSER] !== undefined) return undefined
    node = typeof seg === 'number' ? (Array.isArray(node.items) ? node.items[seg] : node.items) : node.properties?.[seg]
  }
  return node
}
