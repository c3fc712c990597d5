import type { ReactNode } from 'react';

/**
 * A data table that may be wider than a phone: it scrolls sideways inside its own region (WCAG 1.4.10
 * allows it for data tables) instead of the page, and that region is a named keyboard stop, so it can be
 * scrolled without a pointer.
 */
export function TableScroll(props: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
