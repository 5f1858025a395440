declare module 'rbush-knn' {
  import type RBush from 'rbush'
  /** k nearest items to (x, y), optionally filtered and bounded by maxDistance (in index units). */
  export default function knn<T>(
    tree: RBush<T>,
    x: number,
    y: number,
    k?: number,
    filterFn?: (item: T) => boolean,
    maxDistance?: number,
  ): T[]
}
