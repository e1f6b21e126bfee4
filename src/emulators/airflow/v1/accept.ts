/**
 * Werkzeug's `request.accept_mimetypes.best_match(offers)`, which Airflow 2's log endpoint uses: the offer
 * with the highest client quality wins, a more specific client entry beats `*` at equal quality, and the
 * earlier offer wins a tie. No (or an unmatched) Accept header gives null.
 */
export function bestMatch(header: string | undefined, offers: readonly string[]): string | null {
  const entries = (header ?? '')
    .split(',')
    .map((part) => {
      const [value = '', ...params] = part.split(';').map((p) => p.trim());
      const q = params.find((p) => /^q=/i.test(p));
      const quality = q ? Number(q.slice(2)) : 1;
      return { value: value.toLowerCase(), quality: Number.isFinite(quality) ? quality : 0 };
    })
    .filter((e) => e.value !== '');
  let result: string | null = null;
  let bestQuality = -1;
  let bestSpecificity: [boolean, boolean] = [false, false];
  const more = (a: [boolean, boolean], b: [boolean, boolean]) =>
    Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]);
  for (const offer of offers) {
    for (const { value, quality } of entries) {
      const [type = '', sub = ''] = value.split('/');
      const specificity: [boolean, boolean] = [type !== '*', sub !== '*'];
      if (quality <= 0 || quality < bestQuality) continue;
      if (quality > bestQuality || more(specificity, bestSpecificity) > 0) {
        const [offerType, offerSub] = offer.split('/');
        const matches = (type === '*' || type === offerType) && (sub === '*' || sub === offerSub);
        if (matches) {
          result = offer;
          bestQuality = quality;
          bestSpecificity = specificity;
        }
      }
    }
  }
  return result;
}
