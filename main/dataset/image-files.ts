import path from 'node:path';

/** File types the app shows and embeds as images. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

/** File types a new dataset may hold: animated GIFs have no single frame to train on, so the converter skips them. */
export const DATASET_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([...IMAGE_EXTENSIONS].filter((e) => e !== '.gif'));

export const isImageFile = (file: string): boolean => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
