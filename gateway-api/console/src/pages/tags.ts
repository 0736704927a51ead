import type { CSSProperties } from 'react';

/**
 * Tag colours with text at WCAG AA contrast (4.5:1 or more) on their own background; antd's preset tag colours
 * (green, gold, ...) put light text on light backgrounds and fall short.
 */
export const tone = {
  neutral: { color: '#3a3a3a', background: '#f0f0f0', borderColor: '#cfcfcf' },
  green: { color: '#1e5b0a', background: '#f0f9e8', borderColor: '#a8d98a' },
  gold: { color: '#6b4300', background: '#fff8e1', borderColor: '#f0cf7a' },
  blue: { color: '#0b3f7a', background: '#e8f1fb', borderColor: '#9cc1ea' },
  purple: { color: '#4b1f80', background: '#f4edfc', borderColor: '#c7aee8' },
  red: { color: '#8a0c19', background: '#fdeceb', borderColor: '#f0a8a5' },
} as const satisfies Record<string, CSSProperties>;
