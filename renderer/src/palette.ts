/** Series colours: one per run in Compare, one per series in a chart — the same order everywhere. */
export const PALETTE = ['#4f46e5', '#dc2626', '#16a34a', '#d97706', '#0891b2', '#9333ea', '#db2777', '#65a30d', '#0f766e', '#78716c'];
