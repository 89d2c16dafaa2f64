/**
 * The first `maxLength` UTF-16 units of `text`, never ending in half of a surrogate pair: a lone
 * high surrogate is not Unicode text, and Kafka's UTF-8 encoding would turn it into U+FFFD.
 */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const lastKept = text.charCodeAt(maxLength - 1);
  const splitsPair = lastKept >= 0xd800 && lastKept <= 0xdbff;
  return text.slice(0, splitsPair ? maxLength - 1 : maxLength);
}
