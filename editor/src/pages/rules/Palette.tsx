import type { FactDefinition } from '@loopgate/contracts';
import type { DragEvent } from 'react';
import { defaultEventData, defaultFactData, defaultGateData, type RuleGraphNode } from '../../graph';

/** What a palette item adds: a node type and its initial data. */
export type PaletteItem = Pick<RuleGraphNode, 'type' | 'data'>;

export const PALETTE_MIME = 'application/x-loopgate-node';

interface PaletteProps {
  facts: FactDefinition[];
  sharedConditions: string[];
  hasEvent: boolean;
  ruleName: string;
  disabled: boolean;
  onAdd: (item: PaletteItem) => void;
}

/** Facts of the rule set, gates, shared conditions: drag onto the canvas, or press Enter to add. */
export function Palette({ facts, sharedConditions, hasEvent, ruleName, disabled, onAdd }: PaletteProps) {
  const item = (key: string, label: string, detail: string, payload: PaletteItem, className: string) => (
    <li key={key}>
      <button
        type="button"
        className={`palette-item ${className}`}
        draggable={!disabled}
        disabled={disabled}
        onDragStart={(e: DragEvent) => {
          e.dataTransfer.setData(PALETTE_MIME, JSON.stringify(payload));
          e.dataTransfer.effectAllowed = 'move';
        }}
        onClick={() => onAdd(payload)}
        data-palette={key}
      >
        <span className="palette-label">
          <span className="sr-only">Add </span>
          {label}
        </span>
        <span className="palette-detail">{detail}</span>
      </button>
    </li>
  );
  return (
    <nav className="palette" aria-label="Node palette" tabIndex={-1}>
      <h3 className="palette-heading">Facts</h3>
      {facts.length === 0 ? (
        <p className="muted small">No facts yet: add them in the Facts tab.</p>
      ) : (
        <ul>
          {facts.map((f) =>
            item(
              `fact:${f.name}`,
              f.name,
              `${f.type}${f.unit ? ` · ${f.unit}` : ''}`,
              { type: 'fact', data: defaultFactData(f) },
              'palette-fact',
            ),
          )}
        </ul>
      )}
      <h3 className="palette-heading">Gates</h3>
      <ul>
        {item('gate:all', 'ALL', 'every input true', { type: 'gate', data: defaultGateData('all') }, 'palette-gate')}
        {item('gate:any', 'ANY', 'one input true', { type: 'gate', data: defaultGateData('any') }, 'palette-gate')}
        {item('gate:not', 'NOT', 'negates one input', { type: 'gate', data: defaultGateData('not') }, 'palette-gate')}
      </ul>
      {sharedConditions.length > 0 && (
        <>
          <h3 className="palette-heading">Shared conditions</h3>
          <ul>
            {sharedConditions.map((name) =>
              item(`ref:${name}`, name, 'reference', { type: 'ref', data: { condition: name } }, 'palette-ref'),
            )}
          </ul>
        </>
      )}
      {!hasEvent && (
        <>
          <h3 className="palette-heading">Event</h3>
          <ul>
            {item(
              'event',
              'Event',
              'what the rule asks for',
              { type: 'event', data: defaultEventData(ruleName) },
              'palette-event',
            )}
          </ul>
        </>
      )}
    </nav>
  );
}
