/**
 * The menu strip at the top of every screen (seed 003: "a menu-strip on the top on each screen
 * for easy navigation"): File / Edit / View / Help drop-down menus following the ARIA menubar
 * pattern (arrow keys move between items, Escape closes).
 */
import { type KeyboardEvent, useEffect, useRef, useState } from "react";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  shortcut?: string;
  disabled?: boolean;
}

export interface Menu {
  label: string;
  items: MenuItem[];
}

interface MenuStripProps {
  menus: Menu[];
  /** Text at the right end (the signed-in user). */
  userLabel?: string;
  onLogout?: () => void;
}

export function MenuStrip({ menus, userLabel, onLogout }: MenuStripProps) {
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const stripRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (openIndex === null) return undefined;
    const close = (event: MouseEvent) => {
      if (!stripRef.current?.contains(event.target as Node)) setOpenIndex(null);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [openIndex]);

  useEffect(() => {
    if (openIndex === null) return;
    stripRef.current?.querySelector<HTMLElement>(`#menu-${openIndex} [role=menuitem]:not([disabled])`)?.focus();
  }, [openIndex]);

  const onMenuKey = (event: KeyboardEvent<HTMLDivElement>, index: number) => {
    const items = [...(event.currentTarget.querySelectorAll<HTMLElement>("[role=menuitem]:not([disabled])") ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === "Escape") {
      setOpenIndex(null);
      stripRef.current?.querySelector<HTMLElement>(`#menubutton-${index}`)?.focus();
    } else if (event.key === "ArrowDown") {
      items[(at + 1) % items.length]?.focus();
    } else if (event.key === "ArrowUp") {
      items[(at - 1 + items.length) % items.length]?.focus();
    } else if (event.key === "ArrowRight") {
      setOpenIndex((index + 1) % menus.length);
    } else if (event.key === "ArrowLeft") {
      setOpenIndex((index - 1 + menus.length) % menus.length);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <div className="menustrip" ref={stripRef}>
      <span className="brand" aria-hidden="true">
        ictal
      </span>
      <div role="menubar" aria-label="Main menu" className="menubar">
        {menus.map((menu, index) => (
          <div key={menu.label} className="menu">
            <button
              type="button"
              id={`menubutton-${index}`}
              role="menuitem"
              aria-haspopup="menu"
              aria-expanded={openIndex === index}
              aria-controls={`menu-${index}`}
              className="menu-button"
              onClick={() => setOpenIndex(openIndex === index ? null : index)}
            >
              {menu.label}
            </button>
            {openIndex === index && (
              <div id={`menu-${index}`} role="menu" aria-label={menu.label} className="menu-list" onKeyDown={(e) => onMenuKey(e, index)}>
                {menu.items.map((item) => (
                  <button
                    type="button"
                    role="menuitem"
                    key={item.label}
                    disabled={item.disabled}
                    className="menu-item"
                    onClick={() => {
                      setOpenIndex(null);
                      item.onSelect();
                    }}
                  >
                    <span>{item.label}</span>
                    {item.shortcut && <kbd>{item.shortcut}</kbd>}
                  </button>
                ))}
              </div>
            )}
          </div>
        ))}
      </div>
      <span className="spacer" />
      {userLabel && <span className="user-label">Signed in as {userLabel}</span>}
      {onLogout && (
        <button type="button" className="button-quiet" aria-label="Log out" onClick={onLogout}>
          Log out
        </button>
      )}
    </div>
  );
}
