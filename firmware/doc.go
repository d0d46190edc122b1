// Package firmware is the appliance layer of CPC Kiosk: what makes a board
// run the kiosk by itself. Its sub-packages read the board's state (health)
// and, in later work, provision, watch and update it.
package firmware
