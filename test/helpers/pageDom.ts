/**
 * The little of the DOM that the functions tests pass to a page use: they
 * run in the browser, but the project compiles without the DOM library.
 * Each browser test declares `document` (and what else it needs) with these.
 */
export interface PageElement {
  textContent: string | null
  dataset: Record<string, string | undefined>
  hidden: boolean
  tagName: string
  id: string
  parentElement: PageElement | null
  getAttribute(name: string): string | null
  getBoundingClientRect(): { x: number; y: number; width: number; height: number }
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number }
}

export interface PageDocument {
  title: string
  activeElement: PageElement | null
  getElementById(id: string): PageElement | null
  querySelector(selector: string): PageElement | null
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number }
}

export interface PageStyle {
  color: string
  backgroundColor: string
  getPropertyValue(name: string): string
}
