/**
 * Strong frustration in a customer message (English and Spanish): the handoff trigger "strong frustration"
 * of the human-handoff policy. A complaint alone ("I am unhappy with my result") is answered with an offer
 * of a person; anger — insults at the service or the bot, swearing, shouting in capitals, "!!!", "this is
 * ridiculous", "the worst", "fed up", "estoy harto" — hands the conversation over at once. Deliberately
 * simple and explainable: a few weighted cues, no model.
 */
import { words } from '../answer/text';

const STRONG_PHRASES: readonly RegExp[] = [
  /\b(ridiculous|unacceptable|outrageous|disgusting|appalling|pathetic|incompetent|scam|rip[- ]?off|a joke)\b/i,
  /\b(worst|terrible|horrible|awful)\b.*\b(service|clinic|experience|bot|place|customer care)\b/i,
  /\b(fed up|sick of|had enough|furious|livid|so angry|really angry|extremely angry|beyond angry)\b/i,
  /\b(stupid|dumb|useless|idiotic)\s+(bot|machine|robot|chatbot|thing)\b/i,
  /\b(f+u+c+k+\w*|shit\w*|crap|bullshit|wtf|damn\s+it)\b/i,
  /\b(rid[ií]culo|inaceptable|vergonzoso|vergüenza|indignante|una estafa|un timo|p[eé]simo|in[uú]til|incompetentes?)\b/i,
  /\b(estoy (muy )?(harto|harta|furioso|furiosa|cabreado|cabreada|enfadad[oa]))\b/i,
  /\b(mierda|joder|cabr[oó]n|maldita sea)\b/i,
];

/** 0..n: how many independent cues of anger the message shows. */
export function frustrationScore(text: string): number {
  let score = 0;
  for (const phrase of STRONG_PHRASES) if (phrase.test(text)) score += 1;
  const letters = text.replace(/[^A-Za-zÀ-ÿ]/g, '');
  const upper = letters.replace(/[^A-ZÀ-Þ]/g, '').length;
  // Shouting: mostly capitals over a real sentence, not an acronym.
  if (letters.length >= 12 && upper / letters.length > 0.7 && words(text).length >= 3) score += 1;
  if (/[!?]{3,}/.test(text)) score += 1;
  return score;
}

/** Strong enough to hand over at once: one strong phrase, or shouting together with "!!!". */
export function stronglyFrustrated(text: string): boolean {
  return frustrationScore(text) >= 1 && (STRONG_PHRASES.some((p) => p.test(text)) || frustrationScore(text) >= 2);
}
