/**
 * A tiny RGB rasteriser for benchmark charts: rectangles, thick lines and text in a 5×7 pixel
 * font, enough to draw axes, series and labels without a chart library.
 */
import { encodeRgbPng } from '../util/png.js';

export type Colour = readonly [number, number, number];

/**
 * 5×7 glyphs, one base-32 digit per row (0–v = 0–31), bit 4 the leftmost pixel. Lower-case
 * letters are drawn as capitals; a character without a glyph as '?'.
 */
const FONT: Record<string, string> = {
  '0': 'ehjlphe', '1': '4c4444e', '2': 'eh1248v', '3': 'v2421he', '4': '26aiv22',
  '5': 'vgu11he', '6': '68guhhe', '7': 'v124888', '8': 'ehhehhe', '9': 'ehhf12c',
  A: 'ehhvhhh', B: 'uhhuhhu', C: 'ehggghe', D: 'sihhhis', E: 'vgguggv', F: 'vgguggg',
  G: 'ehgnhhf', H: 'hhhvhhh', I: 'e44444e', J: '72222ic', K: 'hikokih', L: 'ggggggv',
  M: 'hrllhhh', N: 'hhpljhh', O: 'ehhhhhe', P: 'uhhuggg', Q: 'ehhhlid', R: 'uhhukih',
  S: 'fgge11u', T: 'v444444', U: 'hhhhhhe', V: 'hhhhha4', W: 'hhhllla', X: 'hha4ahh',
  Y: 'hhha444', Z: 'v1248gv',
  ' ': '0000000', '.': '00000cc', ',': '0000c48', '-': '000v000', '/': '01248g0',
  '@': 'eh1dlle', '(': '2488842', ')': '8422248', ':': '0cc0cc0', '%': 'op248j3',
  '=': '00v0v00', '+': '044v440', '_': '000000v', '×': '0ha4ah0', 'µ': '0hhhjtg', '?': 'eh12404',
  ';': '0cc0c48', '!': '4444404', "'": '4480000', '*': '04lel40', '<': '248g842', '>': '8421248',
  '[': 'e88888e', ']': 'e22222e', '#': 'aavavaa',
};

const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;

export class Canvas {
  readonly width: number;
  readonly height: number;
  private readonly pixels: Uint8Array;

  constructor(width: number, height: number, background: Colour = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; points outside the canvas are ignored (clipping). */
  plot(x: number, y: number, colour: Colour): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels.set(colour, (y * this.width + x) * 3);
  }

  pixel(x: number, y: number): Colour {
    const at = (y * this.width + x) * 3;
    return [this.pixels[at], this.pixels[at + 1], this.pixels[at + 2]];
  }

  fillRect(x: number, y: number, width: number, height: number, colour: Colour): void {
    for (let dy = 0; dy < height; dy++) for (let dx = 0; dx < width; dx++) this.plot(x + dx, y + dy, colour);
  }

  /** A line `thickness` pixels wide (a square pen moved along the line). */
  line(x0: number, y0: number, x1: number, y1: number, colour: Colour, thickness = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const offset = Math.floor(thickness / 2);
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.fillRect(Math.round(x) - offset, Math.round(y) - offset, thickness, thickness, colour);
    }
  }

  /** Width in pixels of `text` at `scale`. */
  static textWidth(text: string, scale: number): number {
    return [...text].length * (GLYPH_WIDTH + 1) * scale - scale;
  }

  static textHeight(scale: number): number {
    return GLYPH_HEIGHT * scale;
  }

  /** Draws `text` with its top-left corner at (x, y); `align` places x at the text's start, centre or end. */
  text(x: number, y: number, text: string, colour: Colour, scale = 1, align: 'start' | 'centre' | 'end' = 'start'): void {
    const width = Canvas.textWidth(text, scale);
    let left = align === 'start' ? x : align === 'centre' ? x - width / 2 : x - width;
    left = Math.round(left);
    for (const char of text) {
      const rows = FONT[char] ?? FONT[char.toUpperCase()] ?? FONT['?'];
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        const bits = parseInt(rows[row], 32);
        for (let column = 0; column < GLYPH_WIDTH; column++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - column))) this.fillRect(left + column * scale, y + row * scale, scale, scale, colour);
        }
      }
      left += (GLYPH_WIDTH + 1) * scale;
    }
  }

  toPng(): Buffer {
    return encodeRgbPng(this.pixels, this.width, this.height);
  }
}
