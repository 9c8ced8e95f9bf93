import type { ComponentChildren } from 'preact';

/**
 * Every view's table: wrapped so it scrolls sideways on a phone instead of widening the page, with column headers
 * scoped for screen readers. A header given as `false` is left out (a column only editors see).
 */
export function Table({ headers, children }: { headers: (string | false)[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {headers
              .filter((h): h is string => h !== false)
              .map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
