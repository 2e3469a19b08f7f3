import { v7 } from 'uuid';

/** UUIDv7: time-ordered, so ids sort by creation (DESIGN.md §4). */
export const newId = (): string => v7();
