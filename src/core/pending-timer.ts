import type { GroupState } from './group.ts';
import type { Route } from './route.ts';

export const TIMER_TYPES = ['group_wait', 'group_interval', 'repeat_interval'] as const;
export type TimerType = (typeof TIMER_TYPES)[number];

/** The timer a group waits on, named as Alertmanager's route options name them. */
export interface PendingTimer {
  readonly type: TimerType;
  readonly dueAt: number;
  /** The route's interval of that type, in milliseconds. */
  readonly duration: number;
}

export type RouteTiming = Pick<Route, 'groupWait' | 'groupInterval' | 'repeatInterval'>;

/**
 * Which timer the group's next wake-up at `due` stands for: group_wait until the first flush,
 * repeat_interval when by then a notified firing set is up for repeating, else group_interval.
 */
export function pendingTimer(group: GroupState, due: number, route: RouteTiming): PendingTimer {
  if (group.lastTick === 0) return { type: 'group_wait', dueAt: due, duration: route.groupWait };
  if (isRepeatDue(group, due, route.repeatInterval)) {
    return { type: 'repeat_interval', dueAt: due, duration: route.repeatInterval };
  }
  return { type: 'group_interval', dueAt: due, duration: route.groupInterval };
}

function isRepeatDue(group: GroupState, due: number, repeatInterval: number): boolean {
  for (const entry of Object.values(group.log)) {
    if (entry.firing.length > 0 && entry.tick + repeatInterval <= due) return true;
  }
  return false;
}
