import { localeOf, type Lang } from './lang.js';

/**
 * Dates per locale (Intl). A FHIR date without a time ("2024-03-05") is a calendar day, formatted in UTC
 * so it never shifts by a day in the person's time zone.
 */
export function formatDate(value: string | undefined, lang: Lang, style: 'long' | 'medium' = 'long'): string {
  if (!value) return '';
  const dayOnly = /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value);
  const date = new Date(dayOnly && value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return value;
  if (dayOnly && value.length < 10) return value;
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: style, ...(dayOnly ? { timeZone: 'UTC' } : {}) }).format(date);
}

export function formatNumber(value: number, lang: Lang, digits?: number): string {
  return new Intl.NumberFormat(localeOf(lang), digits === undefined ? {} : { maximumFractionDigits: digits }).format(value);
}

/** A moment (date and time) per locale, in the person's time zone. */
export function formatDateTime(value: string | undefined, lang: Lang): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeStyle: 'short' }).format(date);
}
