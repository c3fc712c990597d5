/**
 * When the reminder of a booking will come, as the server arms it (src/scheduling/reminders.ts): the day
 * before; booked less than 24 h ahead, two hours before; less than two hours ahead, right away.
 */
export function reminderTier(start: string | undefined, now: number): 'dayBefore' | 'twoHours' | 'now' {
  const ahead = Date.parse(start ?? '') - now;
  return ahead > 24 * 3_600_000 ? 'dayBefore' : ahead > 2 * 3_600_000 ? 'twoHours' : 'now';
}
